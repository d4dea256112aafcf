output "pipeline_name" {
  description = "Name of the promotion pipeline."
  value       = aws_codepipeline.this.name
}

output "pipeline_arn" {
  description = "ARN of the promotion pipeline."
  value       = aws_codepipeline.this.arn
}

output "stage_names" {
  description = "The pipeline's stages in order, from Source to the last deploy."
  value       = concat(["Source"], [for stage in local.stages : "${title(stage.kind)}-${stage.env}"])
}

output "soak_state_machine_arn" {
  description = "ARN of the Step Functions state machine whose Wait is the soak."
  value       = aws_sfn_state_machine.soak.arn
}

output "build_project_names" {
  description = "CodeBuild project of each kind of build: deploy and validate."
  value       = { for kind, project in aws_codebuild_project.this : kind => project.name }
}

output "build_role_arn" {
  description = "ARN of the role the builds run as (it may only assume deployer_role_arn)."
  value       = aws_iam_role.codebuild.arn
}

output "artifact_bucket_name" {
  description = "Name of the KMS-encrypted artifact bucket."
  value       = aws_s3_bucket.artifacts.id
}

output "approval_topic_arn" {
  description = "ARN of the SNS topic manual approvals are announced on (subscribe approvers to it)."
  value       = aws_sns_topic.approvals.arn
}
