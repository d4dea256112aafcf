# The payments workload of ONE environment: POST /payments behind WAF -> payments_api ->
# transactions + audit tables and a payment.created event -> queue -> payments_worker.
# Everything that differs between environments is in var.payments; the rest is fixed here,
# so a difference between environments is drift.

data "aws_region" "current" {}

locals {
  name               = "${var.name_prefix}-payments"
  log_retention_days = 30
}

module "tables" {
  source = "../payments_tables"

  name_prefix         = local.name
  kms_key_arn         = var.kms_key_arn
  capacity            = var.payments.table_capacity
  deletion_protection = var.deletion_protection
  tags                = var.tags
}

module "events" {
  source = "../events"

  name_prefix        = local.name
  kms_key_arn        = var.kms_key_arn
  consumer_timeout_s = var.payments.lambda_timeout_s
  alarm_topic_arn    = var.alert_topic_arn
  tags               = var.tags
}

module "api" {
  source = "../api"

  name            = local.name
  function_name   = module.function["payments_api"].function_name
  function_arn    = module.function["payments_api"].function_arn
  kms_key_arn     = var.kms_key_arn
  rate_limit      = var.payments.api_rate_limit
  burst_limit     = var.payments.api_burst_limit
  allowed_origins = var.allowed_origins
  tags            = var.tags
}

module "waf" {
  source = "../waf"

  name        = local.name
  stage_arn   = module.api.stage_arn
  rate_limit  = var.payments.waf_rate_limit
  kms_key_arn = var.kms_key_arn
  tags        = var.tags
}

module "database" {
  source = "../database"

  name                      = local.name
  vpc_id                    = var.vpc_id
  subnet_ids                = var.subnet_ids
  client_security_group_ids = { functions = var.function_security_group_id }
  kms_key_arn               = var.kms_key_arn
  instance_class            = var.payments.aurora_instance_class
  instance_count            = var.payments.aurora_instances
  io_optimized              = var.payments.aurora_io_optimized
  deletion_protection       = var.deletion_protection
  # An unprotected environment is a throwaway one: no final snapshot to collide with the next.
  skip_final_snapshot = !var.deletion_protection
  alarm_topic_arn     = var.alert_topic_arn
  tags                = var.tags
}

# The functions' security group only reaches the VPC endpoints; this opens the one more
# path the database admits.
resource "aws_vpc_security_group_egress_rule" "functions_to_database" {
  security_group_id            = var.function_security_group_id
  description                  = "PostgreSQL to ${local.name}"
  ip_protocol                  = "tcp"
  from_port                    = module.database.port
  to_port                      = module.database.port
  referenced_security_group_id = module.database.security_group_id

  tags = var.tags
}
