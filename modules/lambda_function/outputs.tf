output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function, for EventBridge targets and invoke permissions."
  value       = aws_lambda_function.this.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = module.execution_role.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = module.execution_role.arn
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue for failed asynchronous invocations."
  value       = aws_sqs_queue.dlq.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}
