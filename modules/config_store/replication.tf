# Cross-region replication: every object and delete marker, KMS-encrypted with each
# destination's own key, with replication time control (15 minutes) and its metrics.

data "aws_caller_identity" "current" {}

locals {
  replicates = length(var.replication_destinations) > 0
  # Destinations in another account than this store's.
  other_accounts = {
    for name, d in var.replication_destinations : name => d
    if d.account_id != null && d.account_id != data.aws_caller_identity.current.account_id
  }
  # A destination key given by its alias ARN (a key that may not exist yet when this plans):
  # IAM matches key operations on key ARNs only, so the grant names the region's keys and
  # requires the alias.
  replica_keys = [for d in values(var.replication_destinations) : d.kms_key_arn if !strcontains(d.kms_key_arn, ":alias/")]
  replica_aliases = {
    for d in values(var.replication_destinations) : d.kms_key_arn => regex("^(?P<prefix>arn:[^:]+:kms:[^:]+:[0-9]+):(?P<alias>alias/.+)$", d.kms_key_arn)
    if strcontains(d.kms_key_arn, ":alias/")
  }
}

data "aws_iam_policy_document" "replication" {
  count = local.replicates ? 1 : 0

  statement {
    sid       = "ReadSource"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid = "ReadSourceVersions"
    actions = [
      "s3:GetObjectVersionForReplication",
      "s3:GetObjectVersionAcl",
      "s3:GetObjectVersionTagging",
    ]
    resources = ["${aws_s3_bucket.this.arn}/*"]
  }

  statement {
    sid       = "WriteReplicas"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = [for d in values(var.replication_destinations) : "${d.bucket_arn}/*"]
  }

  # Replicas in another account are handed to it (access_control_translation below).
  dynamic "statement" {
    for_each = length(local.other_accounts) > 0 ? [1] : []

    content {
      sid       = "HandReplicasToTheirAccount"
      actions   = ["s3:ObjectOwnerOverrideToBucketOwner"]
      resources = [for d in values(local.other_accounts) : "${d.bucket_arn}/*"]
    }
  }

  statement {
    sid       = "DecryptSource"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  dynamic "statement" {
    for_each = length(local.replica_keys) > 0 ? [1] : []

    content {
      sid       = "EncryptReplicas"
      actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
      resources = local.replica_keys
    }
  }

  dynamic "statement" {
    for_each = local.replica_aliases

    content {
      sid       = "EncryptReplicasWith${replace(title(replace(statement.value.alias, "/[^a-zA-Z0-9]+/", " ")), " ", "")}"
      actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
      resources = ["${statement.value.prefix}:key/*"]

      condition {
        test     = "ForAnyValue:StringEquals"
        variable = "kms:ResourceAliases"
        values   = [statement.value.alias]
      }
    }
  }
}

module "replication_role" {
  source = "../service_role"
  count  = local.replicates ? 1 : 0

  name            = "${var.name}-replication"
  assumed_by      = ["s3.amazonaws.com"]
  inline_policies = { replicate = data.aws_iam_policy_document.replication[0].json }

  tags = var.tags
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = local.replicates ? 1 : 0

  bucket = aws_s3_bucket.this.id
  role   = module.replication_role[0].arn

  dynamic "rule" {
    for_each = var.replication_destinations

    content {
      id       = "to-${rule.key}"
      priority = index(keys(var.replication_destinations), rule.key) + 1
      status   = "Enabled"

      filter {}

      delete_marker_replication {
        status = "Enabled"
      }

      source_selection_criteria {
        sse_kms_encrypted_objects {
          status = "Enabled"
        }
      }

      destination {
        bucket        = rule.value.bucket_arn
        storage_class = "STANDARD"
        account       = contains(keys(local.other_accounts), rule.key) ? rule.value.account_id : null

        dynamic "access_control_translation" {
          for_each = contains(keys(local.other_accounts), rule.key) ? [1] : []

          content {
            owner = "Destination"
          }
        }

        encryption_configuration {
          replica_kms_key_id = rule.value.kms_key_arn
        }

        replication_time {
          status = "Enabled"

          time {
            minutes = 15
          }
        }

        metrics {
          status = "Enabled"

          event_threshold {
            minutes = 15
          }
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
