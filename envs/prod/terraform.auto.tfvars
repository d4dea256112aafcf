# Rendered by `infrarep render` from envs/environments.yaml. Do not edit: change the
# YAML and render again (`infrarep render --check` finds stale files).
system               = "infrarep"
cost_center          = "platform"
env                  = "prod"
region               = "eu-west-1"
promotion_source_env = "staging"
vpc_cidr             = "10.2.0.0/16"
az_count             = 3
deletion_protection  = true
alert_emails         = []
state_bucket         = "infrarep-tfstate-eu-west-1"
force_destroy        = true
