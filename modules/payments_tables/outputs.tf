output "transactions_table_name" {
  description = "Name of the transactions table (partition key payment_id)."
  value       = aws_dynamodb_table.transactions.name
}

output "transactions_table_arn" {
  description = "ARN of the transactions table."
  value       = aws_dynamodb_table.transactions.arn
}

output "transactions_stream_arn" {
  description = "ARN of the transactions table's stream (NEW_AND_OLD_IMAGES)."
  value       = aws_dynamodb_table.transactions.stream_arn
}

output "transactions_index_arns" {
  description = "ARN of each index of the transactions table by purpose: customer (customer_id, created_at) and status (status, created_at), for dynamodb:Query."
  value       = { for key, index in local.indexes : key => "${aws_dynamodb_table.transactions.arn}/index/${index.name}" }
}

output "audit_table_name" {
  description = "Name of the append-only audit table (partition key payment_id, sort key entry)."
  value       = aws_dynamodb_table.audit.name
}

output "audit_table_arn" {
  description = "ARN of the audit table."
  value       = aws_dynamodb_table.audit.arn
}

output "audit_writer_statements" {
  description = "IAM statements, by statement id, that let a function append to the audit table and do nothing else with it (dynamodb:PutItem only, also inside TransactWriteItems). Shaped for the lambda_function module's policy_statements."
  value = {
    AppendAudit = {
      actions   = ["dynamodb:PutItem"]
      resources = [aws_dynamodb_table.audit.arn]
    }
  }
}

output "autoscaling_resource_ids" {
  description = "Application Auto Scaling resource id of each scalable dimension by key (table-read, table-write, customer-index-read, ...)."
  value       = { for key, target in aws_appautoscaling_target.transactions : key => target.resource_id }
}
