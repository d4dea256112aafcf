# Rendered by `infrarep render` from envs/environments.yaml. Do not edit: change the
# YAML and render again (`infrarep render --check` finds stale files).
system         = "infrarep"
cost_center    = "platform"
control_region = "us-east-1"
bucket_prefix  = "infrarep-tfstate"
regions        = ["us-east-1", "us-west-2", "eu-west-1"]
