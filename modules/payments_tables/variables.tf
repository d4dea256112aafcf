variable "name_prefix" {
  type        = string
  description = "Prefix of the table names, e.g. \"infrarep-prod-payments\": the tables are <prefix>-transactions and <prefix>-audit."

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,200}$", var.name_prefix))
    error_message = "name_prefix must be 3-200 of [a-zA-Z0-9_.-], got \"${var.name_prefix}\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer-managed KMS key that encrypts both tables."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "capacity" {
  type = object({
    min = number
    max = number
  })
  description = "Provisioned read and write capacity units of the transactions table and each of its indexes: autoscaling keeps utilisation near 70% between min and max."

  validation {
    condition     = var.capacity.min >= 1 && var.capacity.min <= var.capacity.max
    error_message = "capacity needs 1 <= min <= max, got min ${var.capacity.min}, max ${var.capacity.max}."
  }

  validation {
    condition     = floor(var.capacity.min) == var.capacity.min && floor(var.capacity.max) == var.capacity.max
    error_message = "capacity min and max must be whole capacity units, got min ${var.capacity.min}, max ${var.capacity.max}."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse DeleteTable on both tables while true (staging and prod)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
