polyevalData({"key":"baseline-majority/dzen/dz/index","model":"baseline:majority","page_size":200,"pages":1,"parts":[["dzo_Tibt",0,23]],"run":"baseline-majority","task":"dzen","variant":"dz"});
