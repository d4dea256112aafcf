variable "name_prefix" {
  type        = string
  description = "Prefix of every name, e.g. \"infrarep-prod-payments\": the bus, rule, queue (<prefix>-created) and DLQ (<prefix>-created-dlq)."

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{2,60}$", var.name_prefix))
    error_message = "name_prefix must be 2-60 of [a-zA-Z0-9_-] (room for the queue suffixes), got \"${var.name_prefix}\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for the bus, the queue and the DLQ. Its policy must let events.amazonaws.com use it, or EventBridge cannot deliver into the encrypted queue."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "consumer_timeout_s" {
  type        = number
  description = "Timeout in seconds of the function that consumes the queue. The queue's visibility timeout must be longer, or a message becomes visible again while it is still being processed."

  validation {
    condition     = var.consumer_timeout_s >= 1 && var.consumer_timeout_s <= 900
    error_message = "consumer_timeout_s must be a Lambda timeout of 1-900 seconds, got ${var.consumer_timeout_s}."
  }
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic that hears the dead-letter alarm."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN, got \"${var.alarm_topic_arn}\"."
  }
}

variable "visibility_timeout_s" {
  type        = number
  description = "Visibility timeout of the queue in seconds; null means 6 x consumer_timeout_s, as AWS recommends for a Lambda event source. Must exceed consumer_timeout_s."
  default     = null

  validation {
    condition     = var.visibility_timeout_s == null || try(var.visibility_timeout_s > var.consumer_timeout_s && var.visibility_timeout_s <= 43200, false)
    error_message = "visibility_timeout_s must be longer than consumer_timeout_s (${var.consumer_timeout_s} s) and at most 43200, got ${var.visibility_timeout_s == null ? "null" : var.visibility_timeout_s}."
  }
}

variable "event_source" {
  type        = string
  description = "The `source` of the payment events the rule routes; the publishing function uses the same constant."
  default     = "payments.api"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,256}$", var.event_source)) && !startswith(var.event_source, "aws.")
    error_message = "event_source must be 1-256 of [a-zA-Z0-9._-] and not start with \"aws.\" (reserved for AWS services), got \"${var.event_source}\"."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
