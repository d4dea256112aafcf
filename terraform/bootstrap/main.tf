provider "aws" {
  region = var.control_region

  default_tags {
    tags = {
      System     = var.system
      ManagedBy  = "terraform"
      CostCenter = var.cost_center
      Component  = "bootstrap"
    }
  }
}

# One state bucket per region: versioned (every state ever written can be restored),
# KMS-encrypted, private, TLS-only. Locking uses S3 conditional writes (use_lockfile),
# so no lock table is needed. EventBridge notifications let each env react to a change
# of its state object.
#
# Every companion of a bucket iterates the regions and names its bucket as
# aws_s3_bucket.state[each.key]: checkov follows that reference to each bucket, whereas
# `for_each = aws_s3_bucket.state` with each.value links the companions to one bucket only.

resource "aws_kms_key" "state" {
  for_each = toset(var.regions)

  region                  = each.key
  description             = "${var.system} Terraform state in ${each.key}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.state_key.json
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "state_key" {
  #checkov:skip=CKV_AWS_109:a key policy's "*" resource means this key; the account root must administer it
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource means this key; only this account's principals
  #checkov:skip=CKV_AWS_356:a key policy's "*" resource means this key, nothing wider
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_144:state is regional by design: each region's envs write and lock their own state, and a replica would carry stale lock files
  #checkov:skip=CKV_AWS_18:state access is audited through CloudTrail data events; an access-log bucket per region would need its own bootstrap
  for_each = toset(var.regions)

  region        = each.key
  bucket        = "${var.bucket_prefix}-${each.key}"
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_versioning" "state" {
  for_each = toset(var.regions)

  region = each.key
  bucket = aws_s3_bucket.state[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  for_each = toset(var.regions)

  region = each.key
  bucket = aws_s3_bucket.state[each.key].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state[each.key].arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  for_each = toset(var.regions)

  region                  = each.key
  bucket                  = aws_s3_bucket.state[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  for_each = toset(var.regions)

  region = each.key
  bucket = aws_s3_bucket.state[each.key].id

  rule {
    id     = "keep-a-year-of-state-history"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 365
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_s3_bucket_notification" "state" {
  for_each = toset(var.regions)

  region      = each.key
  bucket      = aws_s3_bucket.state[each.key].id
  eventbridge = true
}

data "aws_iam_policy_document" "tls_only" {
  for_each = toset(var.regions)

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state[each.key].arn, "${aws_s3_bucket.state[each.key].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  for_each = toset(var.regions)

  region = each.key
  bucket = aws_s3_bucket.state[each.key].id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.state]
}
