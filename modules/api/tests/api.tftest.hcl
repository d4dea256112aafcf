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
  name          = "infrarep-test-payments"
  function_name = "infrarep-test-payments-api"
  function_arn  = "arn:aws:lambda:eu-west-1:123456789012:function:infrarep-test-payments-api"
  kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  rate_limit    = 50
  burst_limit   = 100
}

run "throttles_every_method_of_the_stage" {
  command = plan

  assert {
    condition     = aws_api_gateway_method_settings.this.method_path == "*/*" && aws_api_gateway_method_settings.this.settings[0].throttling_rate_limit == 50 && aws_api_gateway_method_settings.this.settings[0].throttling_burst_limit == 100
    error_message = "stage must throttle */* at rate 50, burst 100"
  }
}

run "traces_and_logs_json_access_logs" {
  command = plan

  assert {
    condition     = aws_api_gateway_stage.this.xray_tracing_enabled && can(jsondecode(aws_api_gateway_stage.this.access_log_settings[0].format))
    error_message = "stage needs X-Ray tracing and a JSON access log format"
  }
}

run "validates_body_and_idempotency_key" {
  command = plan

  assert {
    condition     = aws_api_gateway_request_validator.this.validate_request_body && aws_api_gateway_method.create_payment.request_parameters["method.request.header.Idempotency-Key"]
    error_message = "POST /payments must validate the body and require Idempotency-Key"
  }

  assert {
    condition     = jsondecode(aws_api_gateway_model.payment_request.schema).required == ["amount", "currency", "customer_id"]
    error_message = "the model must require amount, currency and customer_id"
  }
}

run "no_preflight_without_origins" {
  command = plan

  assert {
    condition     = length(aws_api_gateway_method.preflight) == 0
    error_message = "no OPTIONS method without allowed_origins"
  }
}

run "preflight_for_allowed_origins" {
  command = plan

  variables {
    allowed_origins = ["https://pay.example.com", "https://admin.example.com"]
  }

  assert {
    condition     = length(aws_api_gateway_method.preflight) == 1 && strcontains(aws_api_gateway_integration_response.preflight[0].response_templates["application/json"], "\"https://admin.example.com\"")
    error_message = "an OPTIONS method must answer only the allowed origins"
  }
}

run "rejects_a_wildcard_origin" {
  command = plan

  variables {
    allowed_origins = ["*"]
  }

  expect_failures = [var.allowed_origins]
}

run "rejects_a_burst_below_the_rate" {
  command = plan

  variables {
    rate_limit  = 100
    burst_limit = 50
  }

  expect_failures = [var.burst_limit]
}

run "rejects_a_qualified_function_arn" {
  command = plan

  variables {
    function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:infrarep-test-payments-api:live"
  }

  expect_failures = [var.function_arn]
}
