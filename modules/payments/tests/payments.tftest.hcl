mock_provider "aws" {
  # Resources check policies and ARNs even under a mock: give the data sources real shapes.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  name_prefix = "infrarep-test"
  env         = "test"
  payments = {
    lambda_memory_mb      = 256
    lambda_timeout_s      = 30
    aurora_instance_class = "db.t4g.medium"
    aurora_instances      = 2
    aurora_io_optimized   = false
    waf_rate_limit        = 500
    api_rate_limit        = 100
    api_burst_limit       = 200
    xray_sampling_rate    = 0.1
    alarm_error_threshold = 5
    alarm_p99_latency_ms  = 2000
    table_capacity        = { min = 5, max = 100 }
  }
  kms_key_arn                = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0000000000000000a", "subnet-0000000000000000b"]
  function_security_group_id = "sg-0123456789abcdef0"
  alert_topic_arn            = "arn:aws:sns:eu-west-1:123456789012:alerts"
  lambda_packages = {
    payments_api    = "tests/fixtures/handler.zip"
    payments_worker = "tests/fixtures/handler.zip"
  }
  deletion_protection = true
}

run "samples_traces_at_the_env_rate" {
  command = plan

  assert {
    condition     = aws_xray_sampling_rule.this.fixed_rate == 0.1 && aws_xray_sampling_rule.this.service_type == "AWS::ApiGateway::Stage"
    error_message = "the sampling rule must apply the env's rate at the API stage"
  }

  assert {
    condition     = aws_xray_group.this.insights_configuration[0].insights_enabled
    error_message = "the X-Ray group needs insights"
  }
}

run "alarms_use_the_env_thresholds" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.api_5xx.threshold == 5 && length(aws_cloudwatch_metric_alarm.p99) == 2 && alltrue([for alarm in aws_cloudwatch_metric_alarm.p99 : alarm.threshold == 2000])
    error_message = "5xx and p99 alarms must use alarm_error_threshold and alarm_p99_latency_ms"
  }
}

run "worker_reports_partial_batch_failures" {
  command = plan

  assert {
    condition     = aws_lambda_event_source_mapping.worker.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "the worker's event source mapping must report batch item failures"
  }
}

run "rejects_a_waf_limit_below_100" {
  command = plan

  variables {
    payments = merge(var.payments, { waf_rate_limit = 99 })
  }

  expect_failures = [var.payments]
}

run "rejects_a_sampling_rate_above_1" {
  command = plan

  variables {
    payments = merge(var.payments, { xray_sampling_rate = 1.5 })
  }

  expect_failures = [var.payments]
}

run "rejects_a_negative_sampling_rate" {
  command = plan

  variables {
    payments = merge(var.payments, { xray_sampling_rate = -0.1 })
  }

  expect_failures = [var.payments]
}

run "rejects_a_class_without_db_prefix" {
  command = plan

  variables {
    payments = merge(var.payments, { aurora_instance_class = "r6g.large" })
  }

  expect_failures = [var.payments]
}

run "rejects_a_burst_below_the_rate" {
  command = plan

  variables {
    payments = merge(var.payments, { api_rate_limit = 300, api_burst_limit = 200 })
  }

  expect_failures = [var.payments]
}

run "rejects_min_capacity_above_max" {
  command = plan

  variables {
    payments = merge(var.payments, { table_capacity = { min = 200, max = 100 } })
  }

  expect_failures = [var.payments]
}

run "rejects_a_missing_package" {
  command = plan

  variables {
    lambda_packages = { payments_api = "tests/fixtures/handler.zip" }
  }

  expect_failures = [var.lambda_packages]
}

run "rejects_a_long_name_prefix" {
  command = plan

  variables {
    name_prefix = "infrarep-a-very-long-prefix"
  }

  expect_failures = [var.name_prefix]
}
