data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  # CloudWatch Logs is the one service whose principal carries the region.
  principals = [
    for service in var.service_principals :
    service == "logs" ? "logs.${data.aws_region.current.region}.amazonaws.com" : "${service}.amazonaws.com"
  ]
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_109:a key policy's "*" resource means this key; the account root must be able to manage it or the key is unmanageable
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource means this key; write access is limited to this account's principals
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource means this key, nothing wider
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  dynamic "statement" {
    for_each = length(local.principals) > 0 ? [1] : []

    content {
      sid       = "ServicesEncryptAtRest"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = local.principals
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.encrypting_roles) > 0 ? [1] : []

    content {
      sid       = "OtherAccountsEncrypt"
      actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.encrypting_roles
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: encryption at rest for the stack's data, logs and topics"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
