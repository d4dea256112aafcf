# The config store: versioned, KMS-encrypted, private, TLS-only, access-logged.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV2_AWS_62:objects are written only by infrarep, which publishes its own EnvironmentUpdate event
  #checkov:skip=CKV_AWS_144:replication is configured by replication_destinations; replicas do not replicate again
  bucket        = var.name
  force_destroy = var.force_destroy

  tags = var.tags
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Dated drift reports (`drift-report --store`); the env's latest.json is kept elsewhere.
  rule {
    id     = "expire-drift-history"
    status = "Enabled"

    filter {
      prefix = "drift-history/"
    }

    expiration {
      days = var.drift_history_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Both buckets refuse any request that does not use TLS.
data "aws_iam_policy_document" "tls_only" {
  for_each = { store = aws_s3_bucket.this.arn, logs = aws_s3_bucket.logs.arn }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value, "${each.value}/*"]

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

# Replicas from another account's store (replication_sources): delivered, and owned here.
data "aws_iam_policy_document" "store" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["store"].json]

  dynamic "statement" {
    for_each = length(var.replication_sources) > 0 ? [1] : []

    content {
      sid       = "ReplicasFromOtherAccounts"
      actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"]
      resources = ["${aws_s3_bucket.this.arn}/*"]

      principals {
        type        = "AWS"
        identifiers = var.replication_sources
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.replication_sources) > 0 ? [1] : []

    content {
      sid       = "ReplicationChecksVersioning"
      actions   = ["s3:GetBucketVersioning", "s3:PutBucketVersioning"]
      resources = [aws_s3_bucket.this.arn]

      principals {
        type        = "AWS"
        identifiers = var.replication_sources
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.store.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3-access/"

  # S3 checks at once that the target bucket lets the logging service write.
  depends_on = [aws_s3_bucket_policy.logs]
}
