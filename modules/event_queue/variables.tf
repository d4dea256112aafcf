variable "name" {
  type        = string
  description = "Name of the queue, e.g. \"infrarep-dev-rollback-accepted-dlq\". Its alarm is named after it, with \"-dlq\" replaced by \"-dead-letters\"."

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,80}$", var.name))
    error_message = "name must be 1-80 of [a-zA-Z0-9_-] (an SQS standard queue name), got \"${var.name}\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key the queue is encrypted with. Its policy must let events.amazonaws.com use it, or EventBridge cannot send into the queue."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "sending_rules" {
  type        = map(string)
  description = "The EventBridge rules on whose behalf EventBridge may send into the queue (as a target or as a target's dead-letter queue): policy statement id => rule ARN."

  validation {
    condition     = length(var.sending_rules) > 0 && alltrue([for sid in keys(var.sending_rules) : can(regex("^[a-zA-Z0-9]+$", sid))])
    error_message = "sending_rules must name at least one rule, keyed by an alphanumeric statement id, got ids ${jsonencode(keys(var.sending_rules))}."
  }
}

variable "retention_seconds" {
  type        = number
  description = "How long the queue keeps a message, in seconds (60-1209600); by default 14 days, the SQS maximum, as a dead-letter queue wants."
  default     = 1209600

  validation {
    condition     = var.retention_seconds >= 60 && var.retention_seconds <= 1209600
    error_message = "retention_seconds must be 60-1209600, got ${var.retention_seconds}."
  }
}

variable "receive_wait_seconds" {
  type        = number
  description = "Long-poll wait of a receive, in seconds (0-20)."
  default     = 0

  validation {
    condition     = var.receive_wait_seconds >= 0 && var.receive_wait_seconds <= 20
    error_message = "receive_wait_seconds must be 0-20, got ${var.receive_wait_seconds}."
  }
}

variable "visibility_timeout_seconds" {
  type        = number
  description = "How long a received message stays hidden from other consumers, in seconds (0-43200). A Lambda consumer needs more than its timeout."
  default     = 30

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be 0-43200, got ${var.visibility_timeout_seconds}."
  }
}

variable "dead_letter" {
  type = object({
    queue_arn         = string
    max_receive_count = number
  })
  description = "Where a message goes after max_receive_count receives that did not delete it; null: it stays until it expires."
  default     = null

  validation {
    condition     = var.dead_letter == null || try(var.dead_letter.max_receive_count >= 1 && var.dead_letter.max_receive_count <= 1000, false)
    error_message = "dead_letter.max_receive_count must be 1-1000."
  }
}

variable "alarm" {
  type = object({
    topic_arn   = string
    description = string
  })
  description = "For a dead-letter queue: an alarm to topic_arn as soon as a message waits in it. description says what a message there means; the alarm adds which queue to inspect and redrive. null: no alarm."
  default     = null

  validation {
    condition     = var.alarm == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:", var.alarm.topic_arn))
    error_message = "alarm.topic_arn must be an SNS topic ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
