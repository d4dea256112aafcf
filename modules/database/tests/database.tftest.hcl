mock_provider "aws" {
  # Resources check policies and ARNs even under a mock: give the data sources real shapes.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  name                      = "infrarep-test-payments"
  vpc_id                    = "vpc-0123456789abcdef0"
  subnet_ids                = ["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"]
  client_security_group_ids = { functions = "sg-0123456789abcdef0" }
  kms_key_arn               = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  instance_class            = "db.t4g.medium"
  instance_count            = 2
  io_optimized              = false
  deletion_protection       = true
  alarm_topic_arn           = "arn:aws:sns:eu-west-1:123456789012:alerts"
}

run "standard_storage_by_default" {
  command = plan

  assert {
    condition     = aws_rds_cluster.this.storage_type == "aurora"
    error_message = "standard Aurora storage is \"aurora\", got ${aws_rds_cluster.this.storage_type}"
  }
}

run "io_optimized_storage" {
  command = plan

  variables {
    io_optimized = true
  }

  assert {
    condition     = aws_rds_cluster.this.storage_type == "aurora-iopt1"
    error_message = "I/O-Optimized storage is \"aurora-iopt1\", got ${aws_rds_cluster.this.storage_type}"
  }
}

run "one_instance_per_count_with_performance_insights" {
  command = plan

  variables {
    instance_count = 3
    instance_class = "db.r6g.large"
  }

  assert {
    condition     = length(aws_rds_cluster_instance.this) == 3 && alltrue([for i in aws_rds_cluster_instance.this : i.instance_class == "db.r6g.large" && i.performance_insights_enabled])
    error_message = "expected 3 db.r6g.large instances with Performance Insights"
  }
}

run "rds_manages_and_iam_authenticates" {
  command = plan

  assert {
    condition     = aws_rds_cluster.this.manage_master_user_password && aws_rds_cluster.this.iam_database_authentication_enabled && aws_rds_cluster.this.backup_retention_period == 7
    error_message = "RDS-managed master password, IAM auth and 7-day backups are required"
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.master.rotation_rules[0].automatically_after_days == 30
    error_message = "the master secret must rotate every 30 days"
  }
}

run "admits_only_the_clients_on_5432" {
  command = plan

  assert {
    condition     = keys(aws_vpc_security_group_ingress_rule.clients) == ["functions"] && aws_vpc_security_group_ingress_rule.clients["functions"].from_port == 5432 && aws_vpc_security_group_ingress_rule.clients["functions"].referenced_security_group_id == "sg-0123456789abcdef0"
    error_message = "only the client security groups may reach 5432"
  }
}

run "rejects_a_class_without_db_prefix" {
  command = plan

  variables {
    instance_class = "r6g.large"
  }

  expect_failures = [var.instance_class]
}

run "rejects_a_micro_class" {
  command = plan

  variables {
    instance_class = "db.t4g.micro"
  }

  expect_failures = [var.instance_class]
}

run "rejects_zero_instances" {
  command = plan

  variables {
    instance_count = 0
  }

  expect_failures = [var.instance_count]
}

run "rejects_another_major_version" {
  command = plan

  variables {
    engine_version = "16.4"
  }

  expect_failures = [var.engine_version]
}
