resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_338:retention is the stack's one log policy, flow_log_retention_days (30 by default, the same in every env); a year of flow logs per env is a cost decision for the caller
  name              = "/infrarep/${var.name_prefix}/vpc-flow-logs"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

module "flow_logs_role" {
  source = "../service_role"

  name            = "${var.name_prefix}-vpc-flow-logs"
  assumed_by      = ["vpc-flow-logs.amazonaws.com"]
  inline_policies = { write-flow-logs = data.aws_iam_policy_document.flow_logs.json }

  tags = var.tags
}

resource "aws_flow_log" "this" {
  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn    = module.flow_logs_role.arn

  tags = var.tags
}
