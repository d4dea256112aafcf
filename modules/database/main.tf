# Aurora PostgreSQL 15 in the private subnets. Reachable only from the client security groups,
# TLS only, IAM database authentication on; the master password is created, kept and rotated
# by RDS in Secrets Manager (encrypted with the environment's key) and never enters state.

data "aws_partition" "current" {}

locals {
  backup_retention_days  = 7
  log_retention_days     = 30
  port                   = 5432
  cpu_alarm_percent      = 80
  secret_rotation_days   = 30
  backup_window          = "03:00-04:00"
  maintenance_window     = "sun:04:30-sun:05:30"
  storage_type           = var.io_optimized ? "aurora-iopt1" : "aurora"
  engine                 = "aurora-postgresql"
  parameter_group_family = "aurora-postgresql15"
}

# Zones of the subnets, so instance N lands in zone N mod the number of subnets.
data "aws_subnet" "this" {
  count = length(var.subnet_ids)

  id = var.subnet_ids[count.index]
}

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Private subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-db"
  description = "PostgreSQL ${local.port} from the clients of ${var.name} only; no egress"
  vpc_id      = var.vpc_id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = each.value

  tags = var.tags
}

resource "aws_rds_cluster_parameter_group" "this" {
  name        = var.name
  family      = local.parameter_group_family
  description = "${var.name}: TLS only, DDL and slow-query logging"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Schema changes are audited; statements that carry data are not logged.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  tags = var.tags
}

# Created before the cluster exports into it, so it is encrypted and expires.
resource "aws_cloudwatch_log_group" "postgresql" {
  #checkov:skip=CKV_AWS_338:30-day retention is the fixed retention of every log group in every environment (issue 8); the logs hold DDL and slow queries, not data
  name              = "/aws/rds/cluster/${var.name}/postgresql"
  retention_in_days = local.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_rds_cluster" "this" {
  #checkov:skip=CKV_AWS_139:deletion_protection is a declared per-env value (environments.yaml): off only in dev, a disposable env; tests/unit/test_checkov_skips.py holds every other env to on
  #checkov:skip=CKV2_AWS_8:backups are RDS automated backups (7 days, point-in-time restore) plus a final snapshot; an AWS Backup plan is an account-level decision outside this module
  cluster_identifier                  = var.name
  engine                              = local.engine
  engine_mode                         = "provisioned"
  engine_version                      = var.engine_version
  database_name                       = var.database_name
  master_username                     = var.master_username
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = var.kms_key_arn
  iam_database_authentication_enabled = true
  port                                = local.port
  db_subnet_group_name                = aws_db_subnet_group.this.name
  vpc_security_group_ids              = [aws_security_group.this.id]
  db_cluster_parameter_group_name     = aws_rds_cluster_parameter_group.this.name
  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  storage_type                        = local.storage_type
  backup_retention_period             = local.backup_retention_days
  preferred_backup_window             = local.backup_window
  preferred_maintenance_window        = local.maintenance_window
  copy_tags_to_snapshot               = true
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = var.skip_final_snapshot
  final_snapshot_identifier           = var.skip_final_snapshot ? null : "${var.name}-final"
  enabled_cloudwatch_logs_exports     = ["postgresql"]
  # Changes arrive through the promotion pipeline (dev, staging soak, approved prod), which is
  # the change window; waiting for the maintenance window would leave every plan dirty.
  apply_immediately = true

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.postgresql]
}

# RDS rotates its own master secret (managed rotation: no rotation Lambda); this sets the
# schedule from RDS's default of 7 days to 30. No immediate rotation on apply.
resource "aws_secretsmanager_secret_rotation" "master" {
  secret_id          = aws_rds_cluster.this.master_user_secret[0].secret_arn
  rotate_immediately = false

  rotation_rules {
    automatically_after_days = local.secret_rotation_days
  }
}

module "monitoring_role" {
  source = "../service_role"

  name                = "${var.name}-rds-monitoring"
  assumed_by          = ["monitoring.rds.amazonaws.com"]
  managed_policy_arns = { enhanced-monitoring = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole" }

  tags = var.tags
}

# Aurora PostgreSQL supports Performance Insights on every instance class it offers.
resource "aws_rds_cluster_instance" "this" {
  count = var.instance_count

  identifier                            = "${var.name}-${count.index + 1}"
  cluster_identifier                    = aws_rds_cluster.this.id
  engine                                = aws_rds_cluster.this.engine
  engine_version                        = aws_rds_cluster.this.engine_version
  instance_class                        = var.instance_class
  availability_zone                     = data.aws_subnet.this[count.index % length(var.subnet_ids)].availability_zone
  db_subnet_group_name                  = aws_db_subnet_group.this.name
  publicly_accessible                   = false
  auto_minor_version_upgrade            = true
  preferred_maintenance_window          = local.maintenance_window
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = module.monitoring_role.arn
  copy_tags_to_snapshot                 = true
  apply_immediately                     = true

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name          = "${var.name}-cpu"
  alarm_description   = "${var.name}: CPU of an instance above ${local.cpu_alarm_percent}% for 15 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBClusterIdentifier = aws_rds_cluster.this.cluster_identifier }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = local.cpu_alarm_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]

  tags = var.tags
}
