output "payments_url" {
  description = "URL of POST /payments (AWS_IAM authorization: sign with SigV4)."
  value       = module.api.payments_url
}

output "rest_api_id" {
  description = "ID of the payments REST API."
  value       = module.api.rest_api_id
}

output "stage_arn" {
  description = "ARN of the API stage the web ACL protects."
  value       = module.api.stage_arn
}

output "invoke_statements" {
  description = "IAM statements, by statement id, that let a caller invoke POST /payments."
  value       = module.api.invoke_statements
}

output "web_acl_arn" {
  description = "ARN of the web ACL associated with the stage."
  value       = module.waf.web_acl_arn
}

output "function_names" {
  description = "Name of each workload function by key: payments_api, payments_worker."
  value       = { for key, function in module.function : key => function.function_name }
}

output "transactions_table_name" {
  description = "Name of the transactions table."
  value       = module.tables.transactions_table_name
}

output "audit_table_name" {
  description = "Name of the audit table."
  value       = module.tables.audit_table_name
}

output "event_bus_name" {
  description = "Name of the payment events bus."
  value       = module.events.bus_name
}

output "queue_url" {
  description = "URL of the payment.created processing queue."
  value       = module.events.queue_url
}

output "dlq_arn" {
  description = "ARN of the processing queue's dead-letter queue."
  value       = module.events.dlq_arn
}

output "database_endpoint" {
  description = "Writer endpoint of the Aurora PostgreSQL cluster."
  value       = module.database.endpoint
}

output "database_cluster_id" {
  description = "Identifier of the Aurora PostgreSQL cluster."
  value       = module.database.cluster_id
}

output "database_secret_arn" {
  description = "ARN of the RDS-managed secret holding the master credentials."
  value       = module.database.master_user_secret_arn
}

output "xray_group_arn" {
  description = "ARN of the X-Ray group (with insights) of the workload's traces."
  value       = aws_xray_group.this.arn
}

output "xray_sampling_rule_name" {
  description = "Name of the X-Ray sampling rule applied at the API stage."
  value       = aws_xray_sampling_rule.this.rule_name
}

output "dashboard_name" {
  description = "Name of the workload's CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Name of each workload-level alarm by purpose (the functions, queue and database bring their own)."
  value = {
    api_5xx                   = aws_cloudwatch_metric_alarm.api_5xx.alarm_name
    api_latency_p99           = aws_cloudwatch_metric_alarm.p99["api_latency"].alarm_name
    api_function_duration_p99 = aws_cloudwatch_metric_alarm.p99["api_function_duration"].alarm_name
    dynamodb_throttles        = aws_cloudwatch_metric_alarm.dynamodb_throttles.alarm_name
  }
}
