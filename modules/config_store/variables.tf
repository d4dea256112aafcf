variable "name" {
  type        = string
  description = "Bucket name, e.g. \"infrarep-dev-config-us-east-1\". The access-log bucket is <name>-logs."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,56}[a-z0-9]$", var.name))
    error_message = "name must be a valid S3 bucket name of at most 58 characters (room for \"-logs\"), got \"${var.name}\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer-managed KMS key for SSE-KMS."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days a replaced object version is kept before it expires (rollback reaches this far back)."
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1, got ${var.noncurrent_version_days}."
  }
}

variable "drift_history_days" {
  type        = number
  description = "Days a dated drift report (under drift-history/) is kept; the newest report of each env is kept whatever its age."
  default     = 90

  validation {
    condition     = var.drift_history_days >= 1
    error_message = "drift_history_days must be at least 1, got ${var.drift_history_days}."
  }
}

variable "replication_destinations" {
  type = map(object({
    bucket_arn  = string
    kms_key_arn = string
    account_id  = optional(string)
  }))
  description = "Buckets (by a short name, e.g. the env) this store replicates every object and delete marker to, with replication time control, each with the ARN of its KMS key or of the key's alias (for a destination that may not exist yet when this plans), and the destination's account where it is not this one (the replicas are then owned by it). Empty: no replication."
  default     = {}

  validation {
    condition     = alltrue([for d in values(var.replication_destinations) : can(regex("^arn:aws[a-z-]*:s3:::", d.bucket_arn))])
    error_message = "each replication destination needs an S3 bucket ARN, got ${jsonencode([for d in values(var.replication_destinations) : d.bucket_arn])}."
  }
}

variable "replication_sources" {
  type        = list(string)
  description = "Replication roles of other accounts' stores that replicate into this one: the bucket policy lets them deliver replicas (and hand their ownership to this account). Empty: none."
  default     = []

  validation {
    condition     = alltrue([for r in var.replication_sources : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", r))])
    error_message = "replication_sources must be IAM role ARNs, got ${jsonencode(var.replication_sources)}."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let terraform destroy the buckets with their objects (throwaway environments only)."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
