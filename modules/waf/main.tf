# A regional web ACL in front of the payments stage: per-IP rate limit first, then AWS's
# common and known-bad-inputs rule groups. Everything else is allowed.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  log_retention_days    = 30
  evaluation_window_sec = 60

  managed_rule_groups = {
    common           = { priority = 10, name = "AWSManagedRulesCommonRuleSet" }
    known-bad-inputs = { priority = 20, name = "AWSManagedRulesKnownBadInputsRuleSet" }
  }
}

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "Rate limit (${var.rate_limit} requests per IP per minute) and AWS managed rules"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 0

    action {
      block {
        custom_response {
          response_code = 429
        }
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit
        evaluation_window_sec = local.evaluation_window_sec
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "AWSManagedRulesCommonRuleSet"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }

  # Includes Log4JRCE (CVE-2021-44228), left blocking.
  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = var.stage_arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

# --- logging: WAF requires the aws-waf-logs- prefix ---

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:30-day retention is the fixed retention of every log group in every environment (issue 8); request history beyond that is not kept by design
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = local.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

# WAF delivers through the log delivery service; this grants it exactly this log group
# (otherwise WAF writes a broader account-wide policy itself on first use).
data "aws_iam_policy_document" "delivery" {
  statement {
    sid       = "WafLogDelivery"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "this" {
  policy_name     = "${var.name}-waf-logs"
  policy_document = data.aws_iam_policy_document.delivery.json
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.this.arn]

  # Request signatures and session tokens stay out of the logs.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "x-amz-security-token"
    }
  }

  depends_on = [aws_cloudwatch_log_resource_policy.this]
}
