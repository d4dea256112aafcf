output "project_name" {
  description = "Name of the CodeBuild batch project (start it by hand with start-build-batch)."
  value       = aws_codebuild_project.this.name
}

output "project_arn" {
  description = "ARN of the CodeBuild batch project."
  value       = aws_codebuild_project.this.arn
}

output "build_list" {
  description = "The batch's builds in promotion order: identifier and environment variables (ENV, ENV_REGION, DEPLOYER_ROLE_ARN) of each."
  value       = local.build_list
}

output "build_role_arn" {
  description = "Role the builds run as: it may read the release bundle, write its logs and assume the deployer role, nothing else."
  value       = module.build_role.arn
}

output "schedule_name" {
  description = "Name of the EventBridge Scheduler schedule; null without a schedule expression."
  value       = one(aws_scheduler_schedule.this[*].name)
}

output "scheduler_role_arn" {
  description = "Role the schedule starts the batch with (codebuild:StartBuildBatch on the project only); null without a schedule expression."
  value       = one(module.scheduler_role[*].arn)
}
