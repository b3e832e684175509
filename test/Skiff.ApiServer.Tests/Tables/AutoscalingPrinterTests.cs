using k8s.Models;
using Skiff.ApiServer.Tables;
using static Skiff.ApiServer.Tests.Tables.TableTestData;

namespace Skiff.ApiServer.Tests.Tables;

public sealed class AutoscalingPrinterTests
{
    private readonly TablePrinters _printers = new();

    [Fact]
    public void Cells_V2CpuUtilization_PrintsCurrentOverTarget()
    {
        var hpa = new V2HorizontalPodAutoscaler
        {
            Metadata = Meta("web", TimeSpan.FromMinutes(2)),
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { Kind = "Deployment", Name = "web" },
                MinReplicas = 1,
                MaxReplicas = 10,
                Metrics = [new V2MetricSpec { Type = "Resource", Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 50 } } }],
            },
            Status = new V2HorizontalPodAutoscalerStatus { CurrentReplicas = 1 },
        };

        Assert.Equal<object?>(["web", "Deployment/web", "cpu: <unknown>/50%", "1", 10L, 1L, "2m"], _printers.For("autoscaling", "HorizontalPodAutoscaler").Cells(hpa, Now));
    }

    [Fact]
    public void For_AutoscalingV1_PrintsV1Objects()
    {
        var hpa = new V1HorizontalPodAutoscaler
        {
            Metadata = Meta("web", TimeSpan.FromMinutes(2)),
            Spec = new V1HorizontalPodAutoscalerSpec { ScaleTargetRef = new V1CrossVersionObjectReference { Kind = "Deployment", Name = "web" }, MaxReplicas = 3, TargetCPUUtilizationPercentage = 80 },
            Status = new V1HorizontalPodAutoscalerStatus { CurrentReplicas = 2, CurrentCPUUtilizationPercentage = 12 },
        };

        Assert.Equal<object?>(["web", "Deployment/web", "cpu: 12%/80%", "<unset>", 3L, 2L, "2m"], _printers.For("autoscaling", "v1", "HorizontalPodAutoscaler").Cells(hpa, Now));
    }
}
