# Two tables with different jobs: transactions is read and updated (provisioned and
# autoscaled, indexed by customer and by status); audit is append-only (on demand, and
# writers get dynamodb:PutItem on it and nothing else). Item formats live with the
# functions in lambda_src/payments_api and lambda_src/payments_worker.

locals {
  target_utilization_percent = 70

  indexes = {
    customer = { name = "customer-index", hash_key = "customer_id" }
    status   = { name = "status-index", hash_key = "status" }
  }

  # Every scalable dimension: the table and each index (index = null: the table), read and write.
  scaled = merge(
    {
      for io in ["read", "write"] : "table-${io}" => {
        index     = null
        dimension = "dynamodb:table:${title(io)}CapacityUnits"
        metric    = "DynamoDB${title(io)}CapacityUtilization"
      }
    },
    merge([
      for index in values(local.indexes) : {
        for io in ["read", "write"] : "${index.name}-${io}" => {
          index     = index.name
          dimension = "dynamodb:index:${title(io)}CapacityUnits"
          metric    = "DynamoDB${title(io)}CapacityUtilization"
        }
      }
    ]...),
  )
}

resource "aws_dynamodb_table" "transactions" {
  name                        = "${var.name_prefix}-transactions"
  billing_mode                = "PROVISIONED"
  read_capacity               = var.capacity.min
  write_capacity              = var.capacity.min
  hash_key                    = "payment_id"
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "payment_id"
    type = "S"
  }

  attribute {
    name = "customer_id"
    type = "S"
  }

  attribute {
    name = "status"
    type = "S"
  }

  attribute {
    name = "created_at"
    type = "S"
  }

  dynamic "global_secondary_index" {
    for_each = local.indexes

    content {
      name            = global_secondary_index.value.name
      projection_type = "ALL"
      read_capacity   = var.capacity.min
      write_capacity  = var.capacity.min

      key_schema {
        attribute_name = global_secondary_index.value.hash_key
        key_type       = "HASH"
      }

      key_schema {
        attribute_name = "created_at"
        key_type       = "RANGE"
      }
    }
  }

  ttl {
    enabled        = true
    attribute_name = "expires_at"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags

  lifecycle {
    # Application Auto Scaling owns the capacity of the table and of its indexes. The
    # provider has no way to ignore only an index's capacity, so the index blocks are
    # ignored as a whole: changing an index means replacing it deliberately (see README).
    ignore_changes = [read_capacity, write_capacity, global_secondary_index]
  }
}

resource "aws_appautoscaling_target" "transactions" {
  for_each = local.scaled

  service_namespace  = "dynamodb"
  resource_id        = each.value.index == null ? "table/${aws_dynamodb_table.transactions.name}" : "table/${aws_dynamodb_table.transactions.name}/index/${each.value.index}"
  scalable_dimension = each.value.dimension
  min_capacity       = var.capacity.min
  max_capacity       = var.capacity.max

  tags = var.tags
}

resource "aws_appautoscaling_policy" "transactions" {
  for_each = local.scaled

  name               = "${aws_dynamodb_table.transactions.name}-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.transactions[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.transactions[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.transactions[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = local.target_utilization_percent

    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}

resource "aws_dynamodb_table" "audit" {
  name                        = "${var.name_prefix}-audit"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "payment_id"
  range_key                   = "entry"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "payment_id"
    type = "S"
  }

  # "<recorded_at>#<action>", e.g. "2026-11-23T10:00:00.000Z#CREATED": one row per action.
  attribute {
    name = "entry"
    type = "S"
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
