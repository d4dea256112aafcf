output "table_name" {
  description = "Name of the deployment ledger table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the deployment ledger table. Writers need dynamodb:PutItem on it."
  value       = aws_dynamodb_table.this.arn
}

output "stream_arn" {
  description = "ARN of the table's stream (NEW_AND_OLD_IMAGES)."
  value       = aws_dynamodb_table.this.stream_arn
}

output "version_index_arn" {
  description = "ARN of the version-index GSI, for dynamodb:Query by version."
  value       = "${aws_dynamodb_table.this.arn}/index/version-index"
}
