variable "name" {
  type        = string
  description = "Function name, e.g. \"infrarep-dev-drift-validator\"; also names its role, log group and DLQ."

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1-56 of [a-zA-Z0-9_-] (room for the DLQ suffix), got \"${var.name}\"."
  }
}

variable "description" {
  type        = string
  description = "What the function does, shown in the console."
}

variable "package" {
  type = object({
    zip_path  = optional(string)
    image_uri = optional(string)
  })
  description = "The code: a zip built by `infrarep package` (zip_path) or a container image (image_uri). Exactly one."

  validation {
    condition     = (var.package.zip_path == null) != (var.package.image_uri == null)
    error_message = "package needs exactly one of zip_path or image_uri, got ${jsonencode(var.package)}."
  }
}

variable "handler" {
  type        = string
  description = "module.function entry point (zip packages only)."
  default     = "handler.handler"
}

variable "runtime" {
  type        = string
  description = "Python runtime (zip packages only)."
  default     = "python3.12"

  validation {
    condition     = can(regex("^python3\\.(1[1-9])$", var.runtime))
    error_message = "runtime must be python3.11 or newer, got \"${var.runtime}\"."
  }
}

variable "memory_mb" {
  type        = number
  description = "Memory in MB (128-10240); CPU scales with it."
  default     = 256

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "memory_mb must be 128-10240, got ${var.memory_mb}."
  }
}

variable "timeout_s" {
  type        = number
  description = "Timeout in seconds (1-900)."
  default     = 30

  validation {
    condition     = var.timeout_s >= 1 && var.timeout_s <= 900
    error_message = "timeout_s must be 1-900, got ${var.timeout_s}."
  }
}

variable "reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved (and capped) for this function."
  default     = 5

  validation {
    condition     = var.reserved_concurrency >= 1
    error_message = "reserved_concurrency must be at least 1, got ${var.reserved_concurrency}."
  }
}

variable "environment" {
  type        = map(string)
  description = "Environment variables. Never secrets: read those from Secrets Manager at run time."
  default     = {}
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets the function runs in."

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids needs at least one subnet."
  }
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups of the function's network interfaces."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for the environment variables, the log group and the DLQ."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days the function's logs are kept."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ... 3653), got ${var.log_retention_days}."
  }
}

variable "policy_statements" {
  type = map(object({
    actions   = list(string)
    resources = list(string)
  }))
  description = "What the function may do, by statement id. No \"*\" actions; name resources precisely."
  default     = {}

  validation {
    condition     = alltrue(flatten([for s in values(var.policy_statements) : [for a in s.actions : !strcontains(a, "*") || endswith(a, ":Describe*") || endswith(a, ":Get*") || endswith(a, ":List*")]]))
    error_message = "policy_statements must not grant wildcard actions (only read-only Describe*/Get*/List* globs are allowed)."
  }
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic that hears the function's error and DLQ alarms."
}

variable "error_alarm_threshold" {
  type        = number
  description = "Errors per 5 minutes at which the error alarm fires."
  default     = 1

  validation {
    condition     = var.error_alarm_threshold >= 1
    error_message = "error_alarm_threshold must be at least 1, got ${var.error_alarm_threshold}."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
