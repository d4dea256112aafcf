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

output "rollback_state_machine_arn" {
  description = "ARN of the state machine that requests a rollback: input {env, to_version (a version or \"previous\"), reason, initiator}; it puts an infrarep / RollbackRequested event on this region's default bus."
  value       = aws_sfn_state_machine.rollback.arn
}

output "rollback_pipeline_name" {
  description = "Name of the rollback pipeline (started by hand with variables ENV, TO, REASON; a manual approval, then the rollback request)."
  value       = aws_codepipeline.rollback.name
}

output "build_project_names" {
  description = "CodeBuild project of each kind of build: deploy and validate."
  value       = { for kind, project in aws_codebuild_project.this : kind => project.name }
}

output "build_role_arns" {
  description = "ARN of the role each kind of build runs as: deploy and validate. Both may assume deployer_role_arn; validate may also start the rollback state machine."
  value       = { for kind, role in module.build_role : kind => role.arn }
}

output "artifact_bucket_name" {
  description = "Name of the KMS-encrypted artifact bucket."
  value       = aws_s3_bucket.artifacts.id
}

output "approval_topic_arn" {
  description = "ARN of the SNS topic manual approvals are announced on (subscribe approvers to it)."
  value       = aws_sns_topic.approvals.arn
}

output "build_image" {
  description = "CodeBuild image of the builds: other builds of the control plane run on the same one."
  value       = var.build_image
}
