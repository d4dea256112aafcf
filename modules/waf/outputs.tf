output "web_acl_arn" {
  description = "ARN of the web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "web_acl_name" {
  description = "Name of the web ACL: the WebACL dimension of its CloudWatch metrics (AWS/WAFV2)."
  value       = aws_wafv2_web_acl.this.name
}

output "rate_limit_metric_name" {
  description = "Rule dimension of the rate-based rule's metrics (BlockedRequests counts the 429s)."
  value       = "${var.name}-rate-limit-per-ip"
}

output "log_group_name" {
  description = "Log group receiving the web ACL's request logs (aws-waf-logs-<name>)."
  value       = aws_cloudwatch_log_group.this.name
}
