output "ledger_table_name" {
  description = "Name of the deployment ledger table."
  value       = module.ledger.table_name
}

output "config_bucket" {
  description = "Name of the versioned config store bucket."
  value       = module.config_store.bucket_name
}

output "config_bucket_arn" {
  description = "ARN of the config store bucket (a replication destination for the control plane)."
  value       = module.config_store.bucket_arn
}

output "kms_key_arn" {
  description = "ARN of the environment's KMS key."
  value       = module.key.key_arn
}

output "topic_arns" {
  description = "ARN of each SNS topic by purpose: drift, validation, rollback, alerts."
  value       = module.notifications.topic_arns
}

output "function_names" {
  description = "Name of each control function by its key."
  value       = { for key, function in module.function : key => function.function_name }
}

output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = module.network.vpc_id
}

output "payments_url" {
  description = "Invoke URL of the payments API's POST /payments."
  value       = module.payments.payments_url
}

output "payments_function_names" {
  description = "Name of each workload function by its key."
  value       = module.payments.function_names
}
