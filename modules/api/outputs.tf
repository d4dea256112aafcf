output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "api_name" {
  description = "Name of the REST API: the ApiName dimension of its CloudWatch metrics."
  value       = aws_api_gateway_rest_api.this.name
}

output "stage_name" {
  description = "Name of the stage: the Stage dimension of its CloudWatch metrics."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the stage, to associate a WAF web ACL with."
  value       = aws_api_gateway_stage.this.arn
}

output "payments_url" {
  description = "URL of POST /payments."
  value       = "${aws_api_gateway_stage.this.invoke_url}${aws_api_gateway_resource.payments.path}"
}

output "execution_arn" {
  description = "Execution ARN of the REST API (prefix of execute-api:Invoke resources)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "invoke_statements" {
  description = "IAM statements, by statement id, that let a caller invoke POST /payments on this stage (the method uses AWS_IAM authorization)."
  value = {
    CreatePayments = {
      actions   = ["execute-api:Invoke"]
      resources = ["${aws_api_gateway_rest_api.this.execution_arn}/${aws_api_gateway_stage.this.stage_name}/POST${aws_api_gateway_resource.payments.path}"]
    }
  }
}

output "xray_service_name" {
  description = "Name the stage uses in X-Ray segments (\"<api>/<stage>\"), for sampling rules and groups."
  value       = "${aws_api_gateway_rest_api.this.name}/${aws_api_gateway_stage.this.stage_name}"
}

output "access_log_group_name" {
  description = "Log group of the stage's JSON access logs."
  value       = aws_cloudwatch_log_group.access.name
}
