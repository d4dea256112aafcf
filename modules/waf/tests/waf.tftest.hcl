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
  name        = "infrarep-test-payments"
  stage_arn   = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/v1"
  rate_limit  = 500
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "rate_limits_each_ip_per_minute" {
  command = plan

  assert {
    condition = [
      for rule in aws_wafv2_web_acl.this.rule : {
        limit  = rule.statement[0].rate_based_statement[0].limit
        window = rule.statement[0].rate_based_statement[0].evaluation_window_sec
        key    = rule.statement[0].rate_based_statement[0].aggregate_key_type
      } if rule.name == "rate-limit-per-ip"
    ] == [{ limit = 500, window = 60, key = "IP" }]
    error_message = "the web ACL needs a per-IP rate rule of 500 requests per 60 s"
  }
}

run "uses_the_common_and_known_bad_inputs_rule_sets" {
  command = plan

  assert {
    condition     = toset([for rule in aws_wafv2_web_acl.this.rule : rule.name if rule.name != "rate-limit-per-ip"]) == toset(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
    error_message = "the web ACL needs exactly the common and known-bad-inputs managed rule sets besides the rate rule"
  }
}

run "logs_to_an_aws_waf_logs_group" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "aws-waf-logs-infrarep-test-payments" && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "WAF logs need a 30-day aws-waf-logs- log group"
  }
}

run "protects_the_given_stage" {
  command = plan

  assert {
    condition     = aws_wafv2_web_acl_association.this.resource_arn == var.stage_arn
    error_message = "the web ACL must be associated with the stage"
  }
}

run "rejects_a_limit_below_100" {
  command = plan

  variables {
    rate_limit = 99
  }

  expect_failures = [var.rate_limit]
}

run "rejects_an_http_api_stage" {
  command = plan

  variables {
    stage_arn = "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5/stages/v1"
  }

  expect_failures = [var.stage_arn]
}
