output "config_bucket" {
  description = "Name of the primary config store (release bundles go to releases/source.zip, which starts the pipeline, and releases/<version>/source.zip, which rollback builds use)."
  value       = module.config_store.bucket_name
}

output "replication_role_arn" {
  description = "Role S3 replicates the primary config store with."
  value       = module.config_store.replication_role_arn
}

output "pipeline_name" {
  description = "Name of the promotion pipeline."
  value       = module.pipeline.pipeline_name
}

output "pipeline_stages" {
  description = "The pipeline's stages in order."
  value       = module.pipeline.stage_names
}

output "soak_state_machine_arn" {
  description = "State machine whose Wait is the soak."
  value       = module.pipeline.soak_state_machine_arn
}

output "rollback_pipeline_name" {
  description = "Pipeline that rolls an env back after a manual approval (variables ENV, TO, REASON)."
  value       = module.pipeline.rollback_pipeline_name
}

output "rollback_state_machine_arn" {
  description = "State machine that requests a rollback (input env, to_version, reason, initiator)."
  value       = module.pipeline.rollback_state_machine_arn
}

output "approval_topic_arn" {
  description = "SNS topic manual approvals are announced on."
  value       = module.pipeline.approval_topic_arn
}

output "dashboard_name" {
  description = "Name of the drift dashboard."
  value       = module.dashboard.dashboard_name
}

output "scheduled_drift_project_name" {
  description = "CodeBuild batch project of the drift check of every env (one build per env)."
  value       = module.scheduled_drift.project_name
}

output "drift_schedule_name" {
  description = "EventBridge Scheduler schedule that starts it; null when drift.schedule is unset."
  value       = module.scheduled_drift.schedule_name
}
