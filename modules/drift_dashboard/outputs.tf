output "dashboard_name" {
  description = "Name of the dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_arn" {
  description = "ARN of the dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_arn
}

output "parity_pairs" {
  description = "The environment pairs with a parity-drift widget, as \"source~target\" (the drift report's scope names)."
  value       = [for pair in local.pairs : "${pair.source.name}~${pair.target.name}"]
}
