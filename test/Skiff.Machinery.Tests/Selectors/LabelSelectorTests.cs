using k8s.Models;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Selectors;

namespace Skiff.Machinery.Tests.Selectors;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> s_labels = new() { ["app"] = "web", ["tier"] = "front", ["version"] = "3" };

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app==web,tier=front", true)]
    [InlineData("app!=web", false)]
    [InlineData("app in (web,api)", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!missing", true)]
    [InlineData("version>2", true)]
    [InlineData("version<2", false)]
    [InlineData("", true)]
    public void Parse_QueryForm_MatchesLikeUpstream(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(s_labels));

    [Fact]
    public void Parse_MalformedSet_IsABadRequest()
    {
        StatusException error = Assert.Throws<StatusException>(() => LabelSelector.Parse("app in web"));

        Assert.Equal(400, error.Code);
    }

    [Fact]
    public void FromModel_LabelsAndExpressions_MatchLikeTheQueryForm()
    {
        var selector = new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["app"] = "web" },
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "In", Values = ["front", "back"] }, new V1LabelSelectorRequirement { Key = "canary", OperatorProperty = "DoesNotExist" }],
        };

        Assert.True(LabelSelector.FromModel(selector).Matches(s_labels));
        Assert.False(LabelSelector.FromModel(selector).Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "db" }));
    }

    [Fact]
    public void FromModel_NullSelector_SelectsNothingAndEmptySelectsEverything()
    {
        Assert.False(LabelSelector.FromModel(null).Matches(s_labels));
        Assert.True(LabelSelector.FromModel(new V1LabelSelector()).Matches(s_labels));
    }
}
