mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "us-east-1" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_availability_zones" {
    defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c"] }
  }
}

variables {
  name        = "infrarep-test-config"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "replicates_nothing_by_default" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_replication_configuration.this) == 0
    error_message = "no replication without destinations"
  }
}

run "replicates_to_each_destination" {
  command = plan

  variables {
    replication_destinations = {
      staging = { bucket_arn = "arn:aws:s3:::infrarep-staging-config", kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
      prod    = { bucket_arn = "arn:aws:s3:::infrarep-prod-config", kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
    }
  }

  assert {
    condition     = length(aws_s3_bucket_replication_configuration.this[0].rule) == 2
    error_message = "expected one replication rule per destination"
  }
}

run "rejects_a_name_without_room_for_the_log_bucket" {
  command = plan

  variables {
    name = "a-bucket-name-that-is-far-too-long-to-leave-room-for-the-logs-suffix"
  }

  expect_failures = [var.name]
}

run "hands_replicas_to_other_accounts_only" {
  command = plan

  variables {
    replication_destinations = {
      staging = { bucket_arn = "arn:aws:s3:::infrarep-staging-config", kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/11111111-2222-3333-4444-555555555555", account_id = "123456789012" }
      prod    = { bucket_arn = "arn:aws:s3:::infrarep-prod-config", kms_key_arn = "arn:aws:kms:eu-west-1:222222222222:key/11111111-2222-3333-4444-555555555555", account_id = "222222222222" }
    }
  }

  assert {
    condition     = one([for rule in aws_s3_bucket_replication_configuration.this[0].rule : rule.destination[0].account if rule.id == "to-prod"]) == "222222222222"
    error_message = "the destination in another account is named by its account"
  }

  assert {
    condition     = length(one([for rule in aws_s3_bucket_replication_configuration.this[0].rule : rule.destination[0].access_control_translation if rule.id == "to-prod"])) == 1
    error_message = "the destination in another account takes ownership of the replicas"
  }

  assert {
    condition     = one([for rule in aws_s3_bucket_replication_configuration.this[0].rule : rule.destination[0].account if rule.id == "to-staging"]) == null
    error_message = "a destination in this store's account names no account"
  }

  assert {
    condition     = length(one([for rule in aws_s3_bucket_replication_configuration.this[0].rule : rule.destination[0].access_control_translation if rule.id == "to-staging"])) == 0
    error_message = "a destination in this store's account hands no ownership over"
  }
}

run "expires_dated_drift_reports_only" {
  command = plan

  variables {
    drift_history_days = 30
  }

  assert {
    condition     = one([for rule in aws_s3_bucket_lifecycle_configuration.this.rule : rule.expiration[0].days if rule.id == "expire-drift-history"]) == 30
    error_message = "dated drift reports expire after drift_history_days"
  }

  assert {
    condition     = one([for rule in aws_s3_bucket_lifecycle_configuration.this.rule : rule.filter[0].prefix if rule.id == "expire-drift-history"]) == "drift-history/"
    error_message = "only what is under drift-history/ expires (each env's drift/<env>/latest.json stays)"
  }
}
