output "cluster_id" {
  description = "Cluster identifier: the DBClusterIdentifier dimension of its metrics."
  value       = aws_rds_cluster.this.id
}

output "cluster_arn" {
  description = "ARN of the cluster."
  value       = aws_rds_cluster.this.arn
}

output "cluster_resource_id" {
  description = "Resource id of the cluster (cluster-...), the middle of rds-db:connect ARNs for IAM authentication."
  value       = aws_rds_cluster.this.cluster_resource_id
}

output "endpoint" {
  description = "Writer endpoint."
  value       = aws_rds_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint (load-balanced over the readers; the writer when there are none)."
  value       = aws_rds_cluster.this.reader_endpoint
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_rds_cluster.this.port
}

output "database_name" {
  description = "Name of the database in the cluster."
  value       = aws_rds_cluster.this.database_name
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials (rotated every 30 days). Readers need secretsmanager:GetSecretValue on it and kms:Decrypt on the key."
  value       = aws_rds_cluster.this.master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}

output "instance_ids" {
  description = "Identifiers of the instances, writer candidate first."
  value       = aws_rds_cluster_instance.this[*].identifier
}

output "storage_type" {
  description = "Storage type of the cluster: aurora (standard) or aurora-iopt1 (I/O-Optimized)."
  value       = local.storage_type
}
