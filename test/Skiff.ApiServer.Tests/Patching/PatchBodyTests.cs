using System.Text;
using System.Text.Json.Nodes;
using Skiff.ApiServer.Patching;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Patching;

public sealed class PatchBodyTests
{
    [Fact]
    public void Parse_ValidJson_ReturnsTheNode()
    {
        JsonNode node = PatchBody.Parse("""{"spec":{"unschedulable":true}}"""u8);

        JsonAssert.Equal("""{"spec":{"unschedulable":true}}""", node);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"spec\":")]
    [InlineData("not json")]
    [InlineData("null")]
    public void Parse_NotAJsonDocument_Throws400(string body)
    {
        StatusException error = Assert.Throws<StatusException>(() => PatchBody.Parse(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
    }
}
