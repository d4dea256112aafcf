variable "name" {
  type        = string
  description = "Alias of the key without the \"alias/\" prefix, e.g. \"infrarep-dev\"."

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.name)) && !startswith(var.name, "aws/")
    error_message = "name must be 1-250 of [a-zA-Z0-9/_-] and not start with \"aws/\", got \"${var.name}\"."
  }
}

variable "service_principals" {
  type        = list(string)
  description = "Service short names allowed to use the key for encryption at rest, e.g. [\"logs\", \"sns\"]. Each becomes <name>.amazonaws.com, with the region added for logs."
  default     = []

  validation {
    condition     = alltrue([for s in var.service_principals : can(regex("^[a-z0-9-]+$", s))])
    error_message = "service_principals are short names such as \"sns\", got ${jsonencode(var.service_principals)}."
  }
}

variable "encrypting_roles" {
  type        = list(string)
  description = "IAM roles of other accounts allowed to encrypt with the key (e.g. the replication role of a config store that replicates into a bucket this key encrypts). Empty: this account's principals only."
  default     = []

  validation {
    condition     = alltrue([for r in var.encrypting_roles : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", r))])
    error_message = "encrypting_roles must be IAM role ARNs, got ${jsonencode(var.encrypting_roles)}."
  }
}

variable "deletion_window_in_days" {
  type        = number
  description = "Days a scheduled deletion waits before the key is gone (7-30)."
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be 7-30, got ${var.deletion_window_in_days}."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
