# POST /payments -> the payments function (Lambda proxy). API Gateway rejects a bad body or a
# missing Idempotency-Key before the function runs; callers sign with SigV4 (AWS_IAM).

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  log_retention_days = 30
  invoke_uri         = "arn:${data.aws_partition.current.partition}:apigateway:${data.aws_region.current.region}:lambda:path/2015-03-31/functions/${var.function_arn}/invocations"
  cors               = length(var.allowed_origins) > 0

  create_payment = {
    authorization      = "AWS_IAM"
    request_parameters = { "method.request.header.Idempotency-Key" = true }
    timeout_ms         = 29000
  }
  cors_allow_headers = "'Content-Type,Idempotency-Key,Authorization,X-Amz-Date,X-Amz-Security-Token,X-Amz-Content-Sha256'"

  # The schema API Gateway checks (JSON Schema draft 4). The function checks the same rules
  # again (lambda_src/payments_api/payments.py), because it can be invoked without the API.
  payment_request_schema = {
    "$schema"            = "http://json-schema.org/draft-04/schema#"
    title                = "PaymentRequest"
    type                 = "object"
    required             = ["amount", "currency", "customer_id"]
    additionalProperties = false
    properties = {
      amount      = { type = "integer", minimum = 1, maximum = 99999999999, description = "Amount in minor units (cents)" }
      currency    = { type = "string", pattern = "^[A-Z]{3}$", description = "ISO 4217 code" }
      customer_id = { type = "string", pattern = "^[A-Za-z0-9_-]{1,64}$" }
      description = { type = "string", maxLength = 256 }
    }
  }

  # JSON-safe validation message: escapeJavaScript also escapes ' as \', which JSON forbids.
  validation_error = "$util.escapeJavaScript($context.error.validationErrorString).replaceAll(\"\\\\'\", \"'\")"

  # Errors API Gateway answers itself. Validation errors say what was wrong.
  gateway_responses = {
    BAD_REQUEST_BODY       = "{\"message\": \"invalid request body: ${local.validation_error}\"}"
    BAD_REQUEST_PARAMETERS = "{\"message\": \"${local.validation_error}\"}"
    DEFAULT_4XX            = "{\"message\": $context.error.messageString}"
    DEFAULT_5XX            = "{\"message\": $context.error.messageString}"
  }
  # A gateway response cannot pick the origin per request: with exactly one allowed origin
  # it carries that origin; with several, browsers see these errors as CORS failures.
  gateway_cors = length(var.allowed_origins) == 1 ? {
    "gatewayresponse.header.Access-Control-Allow-Origin" = "'${var.allowed_origins[0]}'"
    "gatewayresponse.header.Vary"                        = "'Origin'"
  } : {}

  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    extendedRequestId  = "$context.extendedRequestId"
    requestTime        = "$context.requestTime"
    sourceIp           = "$context.identity.sourceIp"
    userAgent          = "$context.identity.userAgent"
    caller             = "$context.identity.caller"
    userArn            = "$context.identity.userArn"
    httpMethod         = "$context.httpMethod"
    resourcePath       = "$context.resourcePath"
    protocol           = "$context.protocol"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    responseLatency    = "$context.responseLatency"
    integrationStatus  = "$context.integration.status"
    integrationLatency = "$context.integration.latency"
    wafResponseCode    = "$context.wafResponseCode"
    xrayTraceId        = "$context.xrayTraceId"
    errorMessage       = "$context.error.message"
    validationError    = "$context.error.validationErrorString"
  })
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Payments API: POST /payments"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "payments" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "payments"
}

resource "aws_api_gateway_model" "payment_request" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "PaymentRequest"
  description  = "Body of POST /payments"
  content_type = "application/json"
  schema       = jsonencode(local.payment_request_schema)
}

resource "aws_api_gateway_request_validator" "this" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "body-and-headers"
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_method" "create_payment" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.payments.id
  http_method          = "POST"
  authorization        = local.create_payment.authorization
  request_validator_id = aws_api_gateway_request_validator.this.id
  request_models       = { "application/json" = aws_api_gateway_model.payment_request.name }
  request_parameters   = local.create_payment.request_parameters
}

resource "aws_api_gateway_integration" "create_payment" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.payments.id
  http_method             = aws_api_gateway_method.create_payment.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = local.invoke_uri
  timeout_milliseconds    = local.create_payment.timeout_ms
}

resource "aws_lambda_permission" "this" {
  statement_id  = "${var.name}-post-payments"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/${aws_api_gateway_method.create_payment.http_method}${aws_api_gateway_resource.payments.path}"
}

# CORS preflight: a mock answer that names the caller's origin only if it is allowed.
resource "aws_api_gateway_method" "preflight" {
  #checkov:skip=CKV_AWS_59:CORS preflight; browsers send OPTIONS without credentials, and the mock answer only carries CORS headers
  #checkov:skip=CKV2_AWS_53:CORS preflight carries no body or parameters to validate; the mock integration answers with CORS headers only
  count = local.cors ? 1 : 0

  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = aws_api_gateway_resource.payments.id
  http_method   = "OPTIONS"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "preflight" {
  count = local.cors ? 1 : 0

  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = aws_api_gateway_resource.payments.id
  http_method       = aws_api_gateway_method.preflight[0].http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 200}" }
}

resource "aws_api_gateway_method_response" "preflight" {
  count = local.cors ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_resource.payments.id
  http_method = aws_api_gateway_method.preflight[0].http_method
  status_code = "200"

  response_parameters = {
    "method.response.header.Access-Control-Allow-Origin"  = false
    "method.response.header.Access-Control-Allow-Headers" = true
    "method.response.header.Access-Control-Allow-Methods" = true
    "method.response.header.Access-Control-Max-Age"       = true
    "method.response.header.Vary"                         = true
  }
}

resource "aws_api_gateway_integration_response" "preflight" {
  count = local.cors ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_resource.payments.id
  http_method = aws_api_gateway_method.preflight[0].http_method
  status_code = aws_api_gateway_method_response.preflight[0].status_code

  response_parameters = {
    "method.response.header.Access-Control-Allow-Headers" = local.cors_allow_headers
    "method.response.header.Access-Control-Allow-Methods" = "'OPTIONS,POST'"
    "method.response.header.Access-Control-Max-Age"       = "'600'"
    "method.response.header.Vary"                         = "'Origin'"
  }

  response_templates = {
    "application/json" = <<-VTL
      #set($allowed = ${jsonencode(var.allowed_origins)})
      #set($origin = $input.params().header.get("Origin"))
      #if("$!origin" == "")#set($origin = $input.params().header.get("origin"))#end
      #if($allowed.contains($origin))#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)#end
    VTL
  }

  depends_on = [aws_api_gateway_integration.preflight]
}

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_responses

  rest_api_id         = aws_api_gateway_rest_api.this.id
  response_type       = each.key
  response_templates  = { "application/json" = each.value }
  response_parameters = local.gateway_cors
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "POST /payments"

  # Everything a deployment snapshots, from configuration (not from read-back state, which
  # would redeploy on every plan wherever the API normalises a value).
  triggers = {
    redeployment = sha1(jsonencode({
      resources         = [aws_api_gateway_resource.payments.id, aws_api_gateway_request_validator.this.id]
      method            = local.create_payment
      schema            = local.payment_request_schema
      invoke_uri        = local.invoke_uri
      allowed_origins   = var.allowed_origins
      cors_headers      = local.cors_allow_headers
      gateway_responses = local.gateway_responses
      gateway_cors      = local.gateway_cors
    }))
  }

  depends_on = [
    aws_api_gateway_integration.create_payment,
    aws_api_gateway_integration_response.preflight,
    aws_api_gateway_gateway_response.this,
  ]

  lifecycle {
    create_before_destroy = true
  }
}

# --- logging: API Gateway's account-level role, then the stage's two log groups ---

module "logging_role" {
  source = "../service_role"
  count  = var.manage_account_logging_role ? 1 : 0

  name                = "${var.name}-apigateway-logs"
  assumed_by          = ["apigateway.amazonaws.com"]
  managed_policy_arns = { push-to-cloudwatch-logs = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs" }

  tags = var.tags
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = module.logging_role[0].arn
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:30-day retention is the fixed retention of every log group in every environment (issue 8); payments themselves are kept in the transactions and audit tables
  name              = "/aws/apigateway/${var.name}/${var.stage_name}/access"
  retention_in_days = local.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

# API Gateway writes execution logs to this fixed name; created here so it is encrypted and expires.
resource "aws_cloudwatch_log_group" "execution" {
  #checkov:skip=CKV_AWS_338:30-day retention is the fixed retention of every log group in every environment (issue 8); execution logs are ERROR level only
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = local.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:no response cache: POST /payments answers must never be served from a cache
  #checkov:skip=CKV2_AWS_29:the web ACL is associated by modules/waf (aws_wafv2_web_acl_association with this stage's ARN, wired in modules/payments); checkov cannot follow the ARN across modules
  #checkov:skip=CKV2_AWS_51:client certificates authenticate API Gateway to HTTP backends; this stage's only backend is a Lambda proxy integration
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  description          = "Payments API, throttled at ${var.rate_limit} rps (burst ${var.burst_limit})"
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  tags = var.tags

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "this" {
  #checkov:skip=CKV_AWS_225:no response cache: POST /payments answers must never be served from a cache
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    throttling_rate_limit  = var.rate_limit
    throttling_burst_limit = var.burst_limit
  }
}
