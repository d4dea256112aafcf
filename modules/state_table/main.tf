# The deployment ledger: which version is in which env since when, who approved, what
# failed, what was rolled back. Key schema shared with tools/infrarep/records.py.
resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "env"
  range_key                   = "deployed_at"
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "env"
    type = "S"
  }

  attribute {
    name = "deployed_at"
    type = "S"
  }

  attribute {
    name = "version"
    type = "S"
  }

  global_secondary_index {
    name            = "version-index"
    projection_type = "ALL"

    key_schema {
      attribute_name = "version"
      key_type       = "HASH"
    }

    key_schema {
      attribute_name = "deployed_at"
      key_type       = "RANGE"
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
