mock_provider "aws" {}

variables {
  name_prefix = "infrarep-test-payments"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  capacity    = { min = 5, max = 50 }
}

run "autoscales_the_table_and_both_indexes_for_reads_and_writes" {
  command = plan

  assert {
    condition     = toset(keys(aws_appautoscaling_target.transactions)) == toset(["table-read", "table-write", "customer-index-read", "customer-index-write", "status-index-read", "status-index-write"])
    error_message = "expected a scalable target per table/index and read/write, got ${jsonencode(keys(aws_appautoscaling_target.transactions))}"
  }

  assert {
    condition     = alltrue([for t in aws_appautoscaling_target.transactions : t.min_capacity == 5 && t.max_capacity == 50])
    error_message = "every scalable target must range over capacity.min..capacity.max"
  }

  assert {
    condition     = alltrue([for p in aws_appautoscaling_policy.transactions : p.target_tracking_scaling_policy_configuration[0].target_value == 70])
    error_message = "every scaling policy must track 70% utilisation"
  }
}

run "transactions_table_streams_expires_and_recovers" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.transactions.billing_mode == "PROVISIONED" && aws_dynamodb_table.transactions.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "transactions must be provisioned with a NEW_AND_OLD_IMAGES stream"
  }

  assert {
    condition     = aws_dynamodb_table.transactions.ttl[0].enabled && aws_dynamodb_table.transactions.point_in_time_recovery[0].enabled
    error_message = "transactions needs TTL and point-in-time recovery"
  }
}

run "audit_table_is_on_demand" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.audit.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.audit.point_in_time_recovery[0].enabled
    error_message = "audit must be on demand with point-in-time recovery"
  }
}

run "audit_writers_may_only_put_items" {
  command = plan

  assert {
    condition     = output.audit_writer_statements.AppendAudit.actions == ["dynamodb:PutItem"]
    error_message = "the audit writer statement must grant dynamodb:PutItem and nothing else"
  }
}

run "rejects_min_above_max" {
  command = plan

  variables {
    capacity = { min = 100, max = 50 }
  }

  expect_failures = [var.capacity]
}

run "rejects_fractional_capacity" {
  command = plan

  variables {
    capacity = { min = 5, max = 50.5 }
  }

  expect_failures = [var.capacity]
}
