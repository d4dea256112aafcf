output "arn" {
  description = "ARN of the queue, known once its policy lets the rules send: an EventBridge target or dead-letter config may name it at once."
  value       = aws_sqs_queue.this.arn

  depends_on = [aws_sqs_queue_policy.this]
}

output "url" {
  description = "URL of the queue (its id)."
  value       = aws_sqs_queue.this.id
}

output "name" {
  description = "Name of the queue."
  value       = aws_sqs_queue.this.name
}

output "visibility_timeout_seconds" {
  description = "How long a received message stays hidden, in seconds: a consumer must finish within it."
  value       = aws_sqs_queue.this.visibility_timeout_seconds
}
