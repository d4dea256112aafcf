output "state_buckets" {
  description = "Remote-state bucket of each region."
  value       = { for region, bucket in aws_s3_bucket.state : region => bucket.id }
}

output "state_key_arns" {
  description = "KMS key of each region's state bucket."
  value       = { for region, key in aws_kms_key.state : region => key.arn }
}
