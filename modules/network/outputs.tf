output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone, in AZ order."
  value       = [for az in local.azs : aws_subnet.private[az].id]
}

output "availability_zones" {
  description = "The availability zones the subnets are in."
  value       = local.azs
}

output "function_security_group_id" {
  description = "Security group for Lambda functions: egress to the VPC endpoints only."
  value       = aws_security_group.functions.id
}

output "endpoint_security_group_id" {
  description = "Security group of the interface endpoints (443 from the VPC)."
  value       = aws_security_group.endpoints.id
}

output "interface_endpoint_ids" {
  description = "ID of each interface endpoint by service."
  value       = { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id }
}
