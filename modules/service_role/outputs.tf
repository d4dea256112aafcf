output "arn" {
  description = "ARN of the role, known once its policies are in place: a resource that hands it to the service may use the service's permissions at once."
  value       = aws_iam_role.this.arn

  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy_attachment.this]
}

output "name" {
  description = "Name of the role, to attach further policies."
  value       = aws_iam_role.this.name
}

output "id" {
  description = "ID of the role (its name), as aws_iam_role_policy's role takes it."
  value       = aws_iam_role.this.id
}
