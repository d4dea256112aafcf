# Rendered by `infrarep render` from envs/environments.yaml. Do not edit: change the
# YAML and render again (`infrarep render --check` finds stale files).
system         = "infrarep"
cost_center    = "platform"
region         = "us-east-1"
environments   = [{ "name" = "dev", "region" = "us-east-1", "approval_required" = false }, { "name" = "staging", "region" = "us-west-2", "approval_required" = true }, { "name" = "prod", "region" = "eu-west-1", "approval_required" = true }]
soak_seconds   = 3600
drift_schedule = "rate(6 hours)"
