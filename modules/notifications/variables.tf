variable "name_prefix" {
  type        = string
  description = "Prefix of the topic names, e.g. \"infrarep-dev\"; topics are <prefix>-drift, -validation, -rollback, -alerts."

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,200}$", var.name_prefix))
    error_message = "name_prefix must be 1-200 of [a-zA-Z0-9_-], got \"${var.name_prefix}\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the KMS key that encrypts the topics. Its policy must let CloudWatch and EventBridge use it."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "subscriptions" {
  type = list(object({
    topic    = string
    protocol = string
    endpoint = string
  }))
  description = "Who hears what: topic is one of drift, validation, rollback, alerts. No one is subscribed by default."
  default     = []

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["drift", "validation", "rollback", "alerts"], s.topic)])
    error_message = "each subscription's topic must be drift, validation, rollback or alerts, got ${jsonencode([for s in var.subscriptions : s.topic])}."
  }

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["email", "email-json", "https", "sqs", "lambda"], s.protocol)])
    error_message = "each subscription's protocol must be email, email-json, https, sqs or lambda, got ${jsonencode([for s in var.subscriptions : s.protocol])}."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
