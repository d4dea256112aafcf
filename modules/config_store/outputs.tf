output "bucket_name" {
  description = "Name of the config store bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the config store bucket; object ARNs are \"<arn>/<key>\"."
  value       = aws_s3_bucket.this.arn
}

output "log_bucket_name" {
  description = "Name of the bucket that receives the store's server access logs."
  value       = aws_s3_bucket.logs.id
}

output "replication_role_arn" {
  description = "ARN of the role S3 assumes to replicate, or null without replication_destinations."
  value       = local.replicates ? module.replication_role[0].arn : null
}
