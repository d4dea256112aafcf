variable "name" {
  type        = string
  description = "Prefix of every name, e.g. \"infrarep-control\": the pipeline is <name>-promotion."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 of [a-z0-9-], starting with a letter, got \"${var.name}\"."
  }
}

variable "environments" {
  type = list(object({
    name              = string
    approval_required = bool
  }))
  description = "The environments in promotion order. Each gets a deploy stage; every one after the first is preceded by a drift validation of the one before and, if approval_required, a manual approval; the last is also preceded by the soak."

  validation {
    condition     = length(var.environments) >= 2 && length(distinct([for e in var.environments : e.name])) == length(var.environments)
    error_message = "environments must name at least two distinct environments in promotion order, got ${jsonencode([for e in var.environments : e.name])}."
  }

  validation {
    condition     = alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9-]{1,15}$", e.name))])
    error_message = "environment names are 2-16 of [a-z0-9-], got ${jsonencode([for e in var.environments : e.name])}."
  }
}

variable "source_bucket" {
  type = object({
    name = string
    arn  = string
  })
  description = "The versioned config store bucket the pipeline takes its source from (an S3 source action). It must send events to EventBridge: a new version of source_object_key starts the pipeline."
}

variable "source_object_key" {
  type        = string
  description = "Key of the release bundle (a zip of the repository at one version) in source_bucket."
  default     = "releases/source.zip"

  validation {
    condition     = endswith(var.source_object_key, ".zip") && !startswith(var.source_object_key, "/")
    error_message = "source_object_key must be a relative key of a .zip object, got \"${var.source_object_key}\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer-managed KMS key for the artifact bucket, logs, the approval topic and build outputs. It must be the source bucket's key too."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "deployer_role_arn" {
  type        = string
  description = "Role the builds assume to run terraform (plan, apply, refresh) in the environments. The builds' own roles can do nothing else in the environments."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.deployer_role_arn))
    error_message = "deployer_role_arn must be an IAM role ARN, got \"${var.deployer_role_arn}\"."
  }
}

variable "environment_role_arns" {
  type        = map(string)
  description = "Each environment's deployer role in its own account (by env name), for environments with one: terraform and infrarep assume it from the deployer role, so the builds may assume exactly these besides. Empty: every environment is in deployer_role_arn's account."
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.environment_role_arns) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "environment_role_arns must map env names to IAM role ARNs, got ${jsonencode(var.environment_role_arns)}."
  }
}

variable "soak_seconds" {
  type        = number
  description = "How long a version runs in the second-to-last environment before the last can be approved (a Step Functions Wait). At least one hour."
  default     = 3600

  validation {
    condition     = var.soak_seconds >= 3600 && var.soak_seconds <= 31536000 && floor(var.soak_seconds) == var.soak_seconds
    error_message = "soak_seconds must be a whole number of seconds from 3600 (one hour) to one year, got ${var.soak_seconds}."
  }
}

variable "build_image" {
  type        = string
  description = "CodeBuild image of the deploy and validation builds (an arm64 image)."
  default     = "aws/codebuild/amazonlinux-aarch64-standard:3.0"
}

variable "build_timeout_minutes" {
  type        = number
  description = "Minutes a deploy or validation build may run before CodeBuild stops it."
  default     = 60

  validation {
    condition     = var.build_timeout_minutes >= 5 && var.build_timeout_minutes <= 480
    error_message = "build_timeout_minutes must be 5-480, got ${var.build_timeout_minutes}."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days the builds' and the soak's logs are kept."
  default     = 365
}

variable "force_destroy" {
  type        = bool
  description = "Let terraform destroy the artifact bucket with its objects (the local target only)."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
