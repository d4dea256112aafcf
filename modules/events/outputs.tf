output "bus_name" {
  description = "Name of the custom event bus; the publisher's EVENT_BUS_NAME."
  value       = aws_cloudwatch_event_bus.this.name
}

output "bus_arn" {
  description = "ARN of the custom event bus. Publishers need events:PutEvents on it."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "event_source" {
  description = "The `source` the rule matches; publishers must use it."
  value       = var.event_source
}

output "rule_arn" {
  description = "ARN of the rule routing payment.created to the queue."
  value       = aws_cloudwatch_event_rule.payment_created.arn
}

output "queue_arn" {
  description = "ARN of the processing queue, for the consumer's event source mapping."
  value       = module.queue.arn
}

output "queue_name" {
  description = "Name of the processing queue."
  value       = module.queue.name
}

output "queue_url" {
  description = "URL of the processing queue."
  value       = module.queue.url
}

output "visibility_timeout_s" {
  description = "Visibility timeout of the processing queue in seconds (longer than the consumer's timeout)."
  value       = module.queue.visibility_timeout_seconds
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue (14-day retention)."
  value       = module.dlq.arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = module.dlq.name
}

output "consumer_statements" {
  description = "IAM statements, by statement id, a Lambda consumer of the queue needs (receive, delete, attributes). Shaped for the lambda_function module's policy_statements; the KMS key is granted by that module."
  value = {
    ConsumeQueue = {
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      resources = [module.queue.arn]
    }
  }
}

output "publisher_statements" {
  description = "IAM statements, by statement id, a publisher of payment events needs (events:PutEvents on this bus only)."
  value = {
    PublishPaymentEvents = {
      actions   = ["events:PutEvents"]
      resources = [aws_cloudwatch_event_bus.this.arn]
    }
  }
}
