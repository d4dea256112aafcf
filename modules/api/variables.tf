variable "name" {
  type        = string
  description = "Name of the REST API, e.g. \"infrarep-prod-payments\"; also the ApiName dimension of its metrics and part of its log group names."

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{2,100}$", var.name))
    error_message = "name must be 2-100 of [a-zA-Z0-9_-], got \"${var.name}\"."
  }
}

variable "function_name" {
  type        = string
  description = "Name of the payments function behind POST /payments (Lambda proxy integration)."
}

variable "function_arn" {
  type        = string
  description = "ARN of the payments function behind POST /payments (unqualified)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9_-]+$", var.function_arn))
    error_message = "function_arn must be an unqualified Lambda function ARN, got \"${var.function_arn}\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the access and execution log groups."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "rate_limit" {
  type        = number
  description = "Steady-state requests per second the stage accepts for each method before answering 429."

  validation {
    condition     = var.rate_limit >= 1
    error_message = "rate_limit must be at least 1 request per second, got ${var.rate_limit}."
  }
}

variable "burst_limit" {
  type        = number
  description = "Requests the stage accepts at once above the rate (token bucket size); at least the rate."

  validation {
    condition     = var.burst_limit >= 1 && floor(var.burst_limit) == var.burst_limit
    error_message = "burst_limit must be a whole number of at least 1, got ${var.burst_limit}."
  }

  validation {
    condition     = var.burst_limit >= var.rate_limit
    error_message = "burst_limit (${var.burst_limit}) must be at least rate_limit (${var.rate_limit}), or the bucket empties within a second at the steady rate."
  }
}

variable "allowed_origins" {
  type        = list(string)
  description = "Browser origins allowed by CORS, e.g. [\"https://pay.example.com\"]. Empty: no CORS (server-to-server callers only). No wildcards."
  default     = []

  validation {
    condition     = alltrue([for origin in var.allowed_origins : can(regex("^https://[a-z0-9.-]+(:[0-9]{1,5})?$", origin)) || can(regex("^http://localhost(:[0-9]{1,5})?$", origin))])
    error_message = "allowed_origins must be https://host[:port] origins (http only for localhost), no paths or wildcards, got ${jsonencode(var.allowed_origins)}."
  }
}

variable "stage_name" {
  type        = string
  description = "Name of the stage, the first path segment of the invoke URL."
  default     = "v1"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.stage_name))
    error_message = "stage_name must be 1-64 of [a-zA-Z0-9_-], got \"${var.stage_name}\"."
  }
}

variable "manage_account_logging_role" {
  type        = bool
  description = "Create the role API Gateway uses to write CloudWatch logs and set it in this region's API Gateway account settings (one per account and region; REST API logging needs it). Set false where something else owns that setting."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
