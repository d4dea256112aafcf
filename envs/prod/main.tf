provider "aws" {
  region = var.region
  # With an account of its own (environments.yaml), the env is planned and applied as its
  # deployer role there, and nowhere else.
  allowed_account_ids = var.account_id == null ? null : [var.account_id]

  dynamic "assume_role" {
    for_each = var.deployer_role_arn == null ? [] : [var.deployer_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "infrarep-${var.env}"
    }
  }

  default_tags {
    tags = {
      System       = var.system
      Environment  = var.env
      ManagedBy    = "terraform"
      CostCenter   = var.cost_center
      Version      = var.release_version
      SourceCommit = var.source_commit
    }
  }
}

module "stack" {
  source = "../../modules/stack"

  system               = var.system
  env                  = var.env
  promotion_source_env = var.promotion_source_env
  vpc_cidr             = var.vpc_cidr
  az_count             = var.az_count
  deletion_protection  = var.deletion_protection
  alert_emails         = var.alert_emails
  state_bucket         = var.state_bucket
  control_region       = var.control_region
  control_account_id   = var.control_account_id
  force_destroy        = var.force_destroy
  payments             = var.payments
  allowed_origins      = var.allowed_origins
  lambda_packages = {
    for name in flatten(values(local.functions)) : name => "${path.root}/../../dist/lambda/${name}.zip"
  }
}

locals {
  # Every Lambda function by part, as `infrarep package` builds them into dist/lambda.
  functions = jsondecode(file("${path.root}/../../lambda_src/functions.json"))
}
