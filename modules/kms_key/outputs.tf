output "key_arn" {
  description = "ARN of the customer-managed key. Pass it as kms_key_arn to the modules that encrypt with it."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "The key's alias, \"alias/<name>\"."
  value       = aws_kms_alias.this.name
}
