output "topic_arns" {
  description = "ARN of each topic by purpose: drift, validation, rollback, alerts."
  value       = { for key, topic in aws_sns_topic.this : key => topic.arn }
}

output "drift_topic_arn" {
  description = "ARN of the drift topic (drift reports, DriftDetected alarms)."
  value       = aws_sns_topic.this["drift"].arn
}

output "validation_topic_arn" {
  description = "ARN of the validation-failure topic."
  value       = aws_sns_topic.this["validation"].arn
}

output "rollback_topic_arn" {
  description = "ARN of the rollback topic."
  value       = aws_sns_topic.this["rollback"].arn
}

output "alerts_topic_arn" {
  description = "ARN of the operational alerts topic (workload alarms)."
  value       = aws_sns_topic.this["alerts"].arn
}
